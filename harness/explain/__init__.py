"""Explain: what a policy switch gains and gives up."""
