//! Foundation tests: filled in by the lead.
