"""Scheduling: which job runs when for which connection, leased in the store so it runs once.

`registry` names the jobs (one line each), `cron` turns expressions into slots, `leases` claims
and releases (connection, job) leases and records runs, `runner` executes a claimed run with a
heartbeat, `scheduler` is the in-process loop (`creditbridge schedule`), `celery_app` the Celery
workers (`creditbridge worker`), `status` what `creditbridge status` reports.
"""
