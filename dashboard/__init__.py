"""The shop owner's dashboard (SPEC §7): query functions over the marts and a Shiny app.

`queries` and `pages` are plain functions (filters in, data frames out) that know nothing of
Shiny; `app` is the only module that does.
"""
