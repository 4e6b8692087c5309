"""The back office service: records from every till and laptop ingested into PostgreSQL exactly once.

Never imported by the till's start path, and left out of the till's bundle (packaging/modules.SERVICE_ONLY); it
needs the ``backoffice`` extra (psycopg 3 and its pool). ``migrate`` keeps the schema, ``db`` the pool and the
devices, ``ingest`` the API of ``app.replication.wire``, ``relay`` (and ``fanout``) the providers' notifications
received for the chain and passed on to the tills, ``serve`` runs it on uvicorn.
"""
