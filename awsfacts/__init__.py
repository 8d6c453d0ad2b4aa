"""Facts about AWS that the workshop keeps offline, each in one place.

Data, not behaviour: plain Python with no boto3, moto or werkzeug import. Both `utils` (validation, cost,
the catalogue check) and `sandbox` (which serves these facts as AWS would) read them from here, so a fact
such as a price, a model's lifecycle or a required permission list is written once.
"""
