"""The ticket workflow every service reasons about: each ticket's event history (a projection
any service can keep), its folded state, and the rules of who may do what when."""
