// Test support: see DEVELOPERS.md.
