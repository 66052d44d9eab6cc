"""The runner that isolates student code: a warm, sandboxed subject process per worker, one fork per submission.

    judge (checks, Hypothesis, points)  --frames-->  zygote (sandboxed, MXNet loaded)  --fork-->  subject child
         worker.Worker / RemoteSubject      pipes      zygote.py: relay, limits, cleanup      server.py: notebook+probes

Only plain data crosses (``channel`` frames of :mod:`autograder.protocol` JSON); the judge never runs or unpickles
anything the subject sends.
"""
