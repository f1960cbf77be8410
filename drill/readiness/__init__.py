"""`c8-drill check`: is this dual-region deployment ready to lose a region? Read-only, any target.

`concerns` lists what must hold (`cluster`: brokers, shape, versions; `data`: exporters, Elasticsearch, snapshot
repository; each a `base.Concern`, a Step without actions), `observations` holds how they observe a live system,
and `session` runs them through the read-only transport and reports them as a drill is reported.
"""
