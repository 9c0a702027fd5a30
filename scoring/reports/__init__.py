"""Metrics and reports: what each metric means, how its figures are computed and queried.

definitions  one definition per metric: standard scale, direction, bands, headline score, margin
formulas     the arithmetic: NPS, margins of error, the t quantile
figures      what a report publishes: a group's Score, a Funnel
filters      what a view can filter and group by (Filters, Dimension, ReportConfig)
params       the report parameters as text (query strings, CLI options) parsed into a View
buckets      local day/week/month buckets, with the time zone's offset changes
sql          the SQL building blocks every query shares (tables, WHERE clauses, group keys)
queries      scores and the funnel, one GROUP BY per view
responses    the individual responses behind a number
csv_format   how an export writes its cells and lines
pooling      which flows a metric's report counts (one question unless pooling is asked)
unsent       invitations never sent, by the status that stopped them (the funnel's own steps)
significance the tests of a difference beyond chance (NPS, two proportions, Welch's t)
comparisons  flags: a period against the one before, a group against the rest
league       the agent league table, ranked by a score shrunk towards the team
time_effects weekdays, weekend and public holidays against the rest
response_bias response rate beside the score, early against late responders
service      ReportService: the one entry point the API, the dashboard and the CLI use
"""
