// Gateway: see DESIGN.md for this module's one job.
