"""The orders use cases: ``checkout`` (a cart becomes orders, a payment and a saga),
``saga`` (the saga's steps), ``orders`` (the order lifecycle for shoppers, sellers and
admins), ``payments`` (provider outcomes, refunds, webhooks) and ``intents`` (the
simulated provider's records, for the development package)."""
