"""The right of access and portability (issue 14, GDPR articles 15 and 20): a person's data
as a streamed ZIP of JSON files and their documents (``portability``; docs/privacy-export.md),
for oneself (/account/data) or produced by a manager for anyone. A composer: it reads what
every feature holds about a person. This module only creates the blueprint (named
``privacy``, as its pages' addresses), so importing ``portability`` loads no routes."""

from flask import Blueprint

bp = Blueprint("privacy", __name__)
