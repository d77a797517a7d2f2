"""The original Flask app, from the article's "Complete Implementation Example" (the Flask +
Flask-CORS article the project started from), as written and without its mistyped decorator."""

from __future__ import annotations

from flask import Flask, request
from flask_cors import CORS, cross_origin


def create_seed_app(*, with_decorator: bool = True) -> Flask:
    app = Flask(__name__)
    app.config["SECRET_KEY"] = "your-secret-key-here"
    app.config["CORS_HEADERS"] = "Content-Type"  # not a Flask-CORS key: ignored

    # Global CORS configuration
    CORS(
        app,
        resources={
            r"/api/*": {
                "origins": ["http://localhost:3000", "https://yourapp.com"],
                "methods": ["GET", "POST", "PUT", "DELETE"],
                "allow_headers": ["Content-Type", "Authorization"],
            }
        },
    )

    def handle_foo():  # type: ignore[no-untyped-def]
        data = request.get_json()
        if data and "inputVar" in data:
            return {"result": data["inputVar"] * 2}
        return {"error": "Invalid input"}, 400

    if with_decorator:
        # `origin` is not a Flask-CORS option: ignored, so the route allows every origin.
        handle_foo = cross_origin(origin="http://localhost:3000")(handle_foo)
    app.route("/api/foo", methods=["POST"])(handle_foo)
    return app


# For `flask --app testing_support.seed_app:seed run` and WSGI servers.
seed = create_seed_app()
seed_without_decorator = create_seed_app(with_decorator=False)
