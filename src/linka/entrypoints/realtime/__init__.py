"""Live updates for the agent app: domain events → one pub/sub channel (memory in one process, Redis
across several) → each process's hub → the agent sockets allowed to know. Presence (who views or writes
on a ticket) travels the same channel. A lost message costs nothing: browsers re-sync on reconnect."""
