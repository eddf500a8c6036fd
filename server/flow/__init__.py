"""Issue 13 `flow`: manual approval (:mod:`server.flow.approval`) and one signal on several accounts
(:mod:`server.flow.outcome`). Every change here is a writer op (:mod:`server.writer`)."""
