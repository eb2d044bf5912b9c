"""Background work: due rows claimed and handled on a schedule (postponed tickets waking, resolved
tickets closing, and the channels' work as it arrives). Runs inside `linka serve` or as `linka worker`."""
