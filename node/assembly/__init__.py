"""Votes of the general assembly: members only, never federated, open or secret ballots, proxies."""
