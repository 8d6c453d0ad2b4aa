"""Facts about AWS that the workshop keeps offline, each in one place.

Data, not behaviour: plain Python with no boto3, moto or werkzeug import. Both `utils` (validation, cost,
the catalogue check) and `sandbox` (which serves these facts as AWS would) read them from here, so a fact
such as a price, a model's lifecycle or a required permission list is written once.

Where a maintained package ships a fact, awsfacts reads it from there or is tested against it
(tests/test_awsfacts_sources.py): Lambda's runtime lifecycle is read from cfn-lint's data; Regions and service
endpoints, and the Lambda Runtime enum, are checked against botocore's data. What no package ships is kept here
with the page it comes from and the date someone checked it.
"""
