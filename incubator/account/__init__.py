"""The signed-in person's own account (/account): identity, e-mail address (changed through
a link to the new address), language, e-mail notifications, password, open sessions and a
request to close the account; and the managers' list of those requests
(/admin/closure-requests, blueprint ``closures``)."""

from flask import Blueprint

bp = Blueprint("account", __name__)
closures_bp = Blueprint("closures", __name__)
