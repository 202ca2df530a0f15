"""Documents a court, an insurer and a family can use: Typst PDFs, a register and a verification page."""
