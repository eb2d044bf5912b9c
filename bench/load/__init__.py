"""The parts of `linka bench run` (bench/run.py): the server it starts, wrk and its Lua scripts, the
HTTP scenarios, the SMTP intake, the chat sockets, and the results file and table."""
