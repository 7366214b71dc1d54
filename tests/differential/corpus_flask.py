"""Project cases: a small Flask app (views reading ``request``, a blueprint), served by its test client.

The app module imports ``request``, ``g`` and ``session`` (werkzeug proxies
that raise outside a request) as every views module does.  The setup serves
a request before the edit, as a user trying the app would, so Flask's
"no setup after the first request" rule is in force: a route or blueprint
added afterwards cannot be registered in the live process (a fresh one
serves it), and the honest outcome there is a refusal that offers the
restart.  Adding a route before any request was served is allowed, and must
be served.
"""

from __future__ import annotations

from .case import Case, Group

VIEWS = """
from flask import Blueprint, current_app, g, jsonify, request

bp = Blueprint("shop", __name__, url_prefix="/shop")
PRICES = {"apple": 3, "pear": 5}


def price_of(name):
    return PRICES.get(name, 0)


@bp.before_request
def remember_user():
    g.user = request.headers.get("X-User", "anon")


@bp.route("/items")
def items():
    wanted = request.args.get("q", "")
    return jsonify(items=sorted(n for n in PRICES if wanted in n), user=g.user)


@bp.route("/price/<name>")
def price(name):
    return {"name": name, "price": price_of(name), "app": current_app.name.split("__")[0]}
"""
APP = """
from flask import Blueprint, Flask, request, session

from views import bp

app = Flask(__name__)
app.secret_key = "test"
app.register_blueprint(bp)


@app.route("/hello")
def hello():
    name = request.args.get("name", "you")
    session["seen"] = name
    return f"hello {name}"


@app.errorhandler(404)
def missing(error):
    return {"error": "missing"}, 404
"""
FILES = {"app.py": APP, "views.py": VIEWS}


def _served(path: str) -> str:
    """A probe: status and body of one request through the client made before the edit."""
    return f"(lambda r: (r.status_code, r.get_data(as_text=True)))(client.get({path!r}))"


SERVED = """
import app
from app import hello
client = app.app.test_client()
client.get("/hello?name=ann").status_code
"""
NEVER_SERVED = """
import app
client = app.app.test_client()
"""
# Probes that serve no request (serving one would lift the app out of its setup phase).
UNSERVED_PROBES = [
    "sorted(str(rule) for rule in app.app.url_map.iter_rules())",
    'app.app.view_functions["bye"]() if "bye" in app.app.view_functions else None',
]
PROBES = [_served("/hello?name=bob"), _served("/shop/items?q=a"), _served("/shop/price/pear")]

served = Group("flask", FILES, SERVED, file="app.py")
fresh_app = Group("flask.before_first_request", FILES, NEVER_SERVED, file="app.py")

CASES: list[Case] = [
    served.edit("view_body_reading_request", 'f"hello {name}"', 'f"hi {name}!"',
                [*PROBES, "hello.__name__"], must_apply=True),
    served.edit("blueprint_view_body", "sorted(n for n in PRICES if wanted in n)",
                "sorted((n for n in PRICES if wanted in n), reverse=True)", PROBES,
                file="views.py", must_apply=True),
    served.edit("blueprint_helper_body", "PRICES.get(name, 0)", "PRICES.get(name, 0) * 10",
                PROBES, file="views.py", must_apply=True),
    served.edit("module_constant", '"pear": 5}', '"pear": 5, "fig": 7}', PROBES,
                file="views.py"),
    served.edit("before_request_body", 'request.headers.get("X-User", "anon")',
                'request.headers.get("X-User", "nobody")', PROBES, file="views.py",
                must_apply=True),
    served.edit("error_handler_body", '{"error": "missing"}, 404', '{"error": "gone"}, 404',
                [_served("/nowhere"), *PROBES], must_apply=True),
    served.edit("route_added_after_first_request", "\n\n@app.errorhandler(404)",
                '\n\n@app.route("/bye")\ndef bye():\n    return "bye"\n\n\n@app.errorhandler(404)',
                [_served("/bye"), *PROBES], restart=True),
    served.edit("blueprint_route_added_after_registration",
                '\n\n@bp.route("/price/<name>")',
                '\n\n@bp.route("/count")\ndef count():\n    return str(len(PRICES))\n\n\n'
                '@bp.route("/price/<name>")',
                [_served("/shop/count"), *PROBES], file="views.py", restart=True),
    served.edit("route_path_changed", '@app.route("/hello")', '@app.route("/hi")',
                [_served("/hi?name=bob"), *PROBES], restart=True),
    served.edit("blueprint_registered_after_first_request", "app.register_blueprint(bp)\n",
                "app.register_blueprint(bp)\n"
                'admin = Blueprint("admin", __name__)\n'
                'admin.add_url_rule("/admin", "panel", lambda: "panel")\n'
                "app.register_blueprint(admin)\n",
                [_served("/admin"), *PROBES], restart=True),
    served.edit("app_constructor_changed", "app = Flask(__name__)",
                'app = Flask(__name__, static_url_path="/assets")',
                [*PROBES, "sorted(str(rule) for rule in app.app.url_map.iter_rules())"]),
    served.edit("blueprint_prefix_changed", 'url_prefix="/shop"', 'url_prefix="/store"',
                [_served("/store/items?q=a"), *PROBES], file="views.py", restart=True),
    fresh_app.edit("route_added", "\n\n@app.errorhandler(404)",
                   '\n\n@app.route("/bye")\ndef bye():\n    return "bye"\n\n\n'
                   "@app.errorhandler(404)", UNSERVED_PROBES),
]

PRELOAD = ["flask", "werkzeug", "werkzeug.test", "jinja2"]
