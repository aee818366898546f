"""Load and scalability tests: Locust scenarios of contributor journeys through the JSON API.

Not part of the installed package: `crowdsource loadtest` finds this folder in the checkout.
`profiles` is plain Python (no Locust import) so the command can check a run before starting
Locust; `locustfile` is what Locust loads.
"""
