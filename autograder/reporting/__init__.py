"""Writers of results: the score table, Gradescope's results.json."""
