"""The nbgrader front end: the course's ``Execute`` step (:mod:`.execute`), its judge-side plan (:mod:`.plan`) and
judge processes (:mod:`.pool`), what test cells call (:mod:`.cells`), feedback without hidden tests
(:mod:`.feedback`) and the metadata check (:mod:`.metadata`)."""
