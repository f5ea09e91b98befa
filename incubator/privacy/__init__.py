"""Privacy (issue 14, GDPR): the right to erasure (``erasure``: a person's identity replaced
by a pseudonym everywhere, docs/erasure.md; its pages are the ``erasures`` blueprint) and the
retention of personal data (``retention``: the periods, ``flask purge`` and the privacy
notice they write, docs/retention.md). The right of access and portability, which reads what
every feature holds about a person, is the ``data_export`` composer."""
