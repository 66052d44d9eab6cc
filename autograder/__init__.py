"""gluon-grader: checks, runner and reporters for the MXNet Gluon "plumbing" unit."""
