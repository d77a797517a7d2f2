"""Settings: APP_ENV, parsing, .env files, the checks by id, `python -m settings` and `create_app`.

Assertions are on problem ids and variable names, never on wording (django-cors-headers' style).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from service.app import create_app
from settings import ConfigurationError, load_settings
from settings.base import as_text
from settings.environments import DevelopmentSettings, ProductionSettings, StagingSettings, TestSettings

SetEnv = Callable[..., None]

# The original app's intended policy: CORS(app, resources={r"/api/*": {...}}).
SEED_POLICY = {
    "origins": ["http://localhost:3000", "https://yourapp.com"],
    "methods": ["GET", "POST", "PUT", "DELETE"],
    "allow_headers": ["Content-Type", "Authorization"],
    "resources": "/api/*",
}
PRODUCTION = {"APP_ENV": "production", "CORS_ORIGINS": "https://app.example.com"}


@pytest.fixture(autouse=True)
def hermetic(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No stray .env file (conftest.py already clears the service's variables)."""
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def setenv(monkeypatch: pytest.MonkeyPatch) -> SetEnv:
    def set_variables(**variables: str) -> None:
        for name, value in variables.items():
            monkeypatch.setenv(name, value)

    return set_variables


def refusal() -> set[tuple[str, str]]:
    """The (id, variable) of every problem `load_settings` refuses with."""
    with pytest.raises(ConfigurationError) as exc:
        load_settings()
    return {(p.id, p.variable) for p in exc.value.problems}


def warnings() -> set[tuple[str, str]]:
    """The (id, variable) of every warning of settings that load."""
    loaded = load_settings()
    assert all(p.level == "warning" for p in loaded.warnings)
    return {(p.id, p.variable) for p in loaded.warnings}


# --- APP_ENV --------------------------------------------------------------------------------------


def test_app_env_defaults_to_development() -> None:
    assert type(load_settings().settings) is DevelopmentSettings


@pytest.mark.parametrize(
    ("app_env", "cls"),
    [("test", TestSettings), ("staging", StagingSettings), ("production", ProductionSettings)],
)
def test_app_env_selects_settings_class(setenv: SetEnv, app_env: str, cls: type) -> None:
    setenv(APP_ENV=app_env, CORS_ORIGINS="https://app.example.com")
    assert type(load_settings().settings) is cls


def test_unknown_app_env_is_refused(setenv: SetEnv) -> None:
    setenv(APP_ENV="prod")
    assert refusal() == {("E000", "APP_ENV")}


# --- Defaults -------------------------------------------------------------------------------------


@pytest.mark.parametrize("app_env", ["development", "test"])
def test_default_policy_is_the_original_apps(setenv: SetEnv, app_env: str) -> None:
    setenv(APP_ENV=app_env)
    assert load_settings().settings.cors_options() == SEED_POLICY


def test_development_defaults_pass_every_check() -> None:
    assert load_settings().warnings == []


@pytest.mark.parametrize("app_env", ["staging", "production"])
def test_origins_are_required_outside_development(setenv: SetEnv, app_env: str) -> None:
    setenv(APP_ENV=app_env)
    assert refusal() == {("E010", "CORS_ORIGINS")}


@pytest.mark.parametrize("app_env", ["staging", "production"])
def test_origins_set_outside_development_load(setenv: SetEnv, app_env: str) -> None:
    setenv(APP_ENV=app_env, CORS_ORIGINS="https://app.example.com")
    assert load_settings().settings.cors_options()["origins"] == ["https://app.example.com"]


# --- Lists and JSON -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("https://a.example, https://b.example", id="comma-separated"),
        pytest.param('["https://a.example", "https://b.example"]', id="JSON array"),
    ],
)
def test_origins_list_forms(setenv: SetEnv, text: str) -> None:
    setenv(CORS_ORIGINS=text)
    assert load_settings().settings.cors_origins == ["https://a.example", "https://b.example"]


@pytest.mark.parametrize(
    ("text", "resources"),
    [
        pytest.param(
            '{"/api/*": {"origins": ["https://a.example"]}}',
            {"/api/*": {"origins": ["https://a.example"]}},
            id="JSON object",
        ),
        pytest.param('["/api/*", "/v2/*"]', ["/api/*", "/v2/*"], id="JSON list"),
        pytest.param("/api/*", "/api/*", id="bare pattern"),
    ],
)
def test_resources_forms(setenv: SetEnv, text: str, resources: object) -> None:
    setenv(CORS_RESOURCES=text)
    assert load_settings().settings.cors_options()["resources"] == resources


def test_malformed_resources_json_is_refused(setenv: SetEnv) -> None:
    setenv(CORS_RESOURCES='{"/api')
    assert refusal() == {("E100", "CORS_RESOURCES")}


# --- Scalars --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "value"), [("true", True), ("false", False)])
def test_boolean_parses(setenv: SetEnv, text: str, value: bool) -> None:
    setenv(CORS_SUPPORTS_CREDENTIALS=text)
    assert load_settings().settings.cors_options()["supports_credentials"] is value


@pytest.mark.parametrize(
    ("variable", "text"), [("CORS_SUPPORTS_CREDENTIALS", "maybe"), ("MAX_BODY_BYTES", "abc")]
)
def test_unparsable_value_is_refused(setenv: SetEnv, variable: str, text: str) -> None:
    setenv(**{variable: text})
    assert refusal() == {("E100", variable)}


def test_every_unparsable_value_is_listed_at_once(setenv: SetEnv) -> None:
    setenv(CORS_SUPPORTS_CREDENTIALS="maybe", MAX_BODY_BYTES="abc", CORS_ORIGINS="[1")
    assert refusal() == {
        ("E100", "CORS_SUPPORTS_CREDENTIALS"),
        ("E100", "MAX_BODY_BYTES"),
        ("E100", "CORS_ORIGINS"),
    }


def test_a_value_that_does_not_parse_hides_no_other_problem(setenv: SetEnv) -> None:
    setenv(MAX_BODY_BYTES="abc", CORS_MAX_AGE="10.5")
    assert refusal() == {("E100", "MAX_BODY_BYTES"), ("E009", "CORS_MAX_AGE")}


def test_a_value_that_does_not_parse_is_not_checked_again(setenv: SetEnv) -> None:
    # Its default stands in for the other checks; E010 would be about a CORS_ORIGINS never parsed.
    setenv(APP_ENV="production", CORS_ORIGINS="[1", CORS_SUPPORTS_CREDENTIALS="maybe")
    assert refusal() == {("E100", "CORS_ORIGINS"), ("E100", "CORS_SUPPORTS_CREDENTIALS")}


def test_every_failed_check_is_listed_at_once(setenv: SetEnv) -> None:
    setenv(APP_ENV="production", CORS_ORIGINS="*", CORS_MAX_AGE="abc")
    assert refusal() == {("E005", "CORS_ORIGINS"), ("E009", "CORS_MAX_AGE")}


# The server's limits on slow and oversized clients (service/server.py, service/api.py).


def test_server_limits_default() -> None:
    settings = load_settings().settings
    assert (settings.header_timeout, settings.body_timeout, settings.max_header_bytes) == (10, 15, 16 * 1024)


@pytest.mark.parametrize(
    ("variable", "text", "field", "value"),
    [
        ("HEADER_TIMEOUT", "2.5", "header_timeout", 2.5),
        ("BODY_TIMEOUT", "60", "body_timeout", 60),
        ("MAX_HEADER_BYTES", "65536", "max_header_bytes", 65536),
    ],
)
def test_server_limit_parses(setenv: SetEnv, variable: str, text: str, field: str, value: float) -> None:
    setenv(**{variable: text})
    assert getattr(load_settings().settings, field) == value


@pytest.mark.parametrize(
    ("variable", "text"),
    [
        pytest.param("HEADER_TIMEOUT", "0", id="HEADER_TIMEOUT 0"),
        pytest.param("HEADER_TIMEOUT", "-1", id="HEADER_TIMEOUT negative"),
        pytest.param("HEADER_TIMEOUT", "10s", id="HEADER_TIMEOUT 10s"),
        pytest.param("BODY_TIMEOUT", "inf", id="BODY_TIMEOUT inf"),
        pytest.param("BODY_TIMEOUT", "nan", id="BODY_TIMEOUT nan"),
        pytest.param("BODY_TIMEOUT", "3601", id="BODY_TIMEOUT over an hour"),
        pytest.param("MAX_HEADER_BYTES", "16k", id="MAX_HEADER_BYTES 16k"),
        # Smaller than an ordinary browser request's headers: a typo for 16384, say.
        pytest.param("MAX_HEADER_BYTES", "16", id="MAX_HEADER_BYTES under 1 KiB"),
    ],
)
def test_bad_server_limit_is_refused(setenv: SetEnv, variable: str, text: str) -> None:
    setenv(**{variable: text})
    assert refusal() == {("E100", variable)}


def test_max_age_is_kept_as_text(setenv: SetEnv) -> None:
    setenv(CORS_MAX_AGE="600")
    assert load_settings().settings.cors_options()["max_age"] == "600"


# --- .env files -----------------------------------------------------------------------------------


@pytest.mark.parametrize("file_name", [".env", ".env.development"])
def test_env_files_are_read(tmp_path: Path, file_name: str) -> None:
    (tmp_path / file_name).write_text("CORS_MAX_AGE=1\n")
    assert load_settings().settings.cors_max_age == "1"


def test_other_environments_env_file_is_not_read(tmp_path: Path) -> None:
    (tmp_path / ".env.production").write_text("CORS_MAX_AGE=1\n")
    assert load_settings().settings.cors_max_age is None


def test_environment_specific_file_wins_over_env_file(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("CORS_MAX_AGE=1\n")
    (tmp_path / ".env.development").write_text("CORS_MAX_AGE=2\n")
    assert load_settings().settings.cors_max_age == "2"


def test_real_environment_wins_over_env_files(tmp_path: Path, setenv: SetEnv) -> None:
    (tmp_path / ".env").write_text("CORS_MAX_AGE=1\n")
    (tmp_path / ".env.development").write_text("CORS_MAX_AGE=2\n")
    setenv(CORS_MAX_AGE="3")
    assert load_settings().settings.cors_max_age == "3"


# --- Checks, by id --------------------------------------------------------------------------------

# Problems production refuses and development only warns about.
DEVELOPMENT_WARNS = [
    pytest.param({"CORS_HEADERS": "X-Token"}, ("E001", "CORS_HEADERS"), id="E001 CORS_HEADERS"),
    pytest.param({"CORS_ORIGINS": "a.example"}, ("E002", "CORS_ORIGINS"), id="E002 no scheme"),
    pytest.param({"CORS_ORIGINS": "https://a.example/v1"}, ("E002", "CORS_ORIGINS"), id="E002 path"),
    pytest.param({"CORS_ORIGINS": "https://a.example/"}, ("E002", "CORS_ORIGINS"), id="E002 trailing /"),
    pytest.param({"CORS_ORIGINS": "https://*.example.com"}, ("E002", "CORS_ORIGINS"), id="E002 glob"),
    pytest.param(
        {"CORS_ORIGINS": r"https?://a\.example\.com"}, ("E004", "CORS_ORIGINS"), id="E004 unanchored"
    ),
    pytest.param({"CORS_ORIGINS": "*"}, ("E005", "CORS_ORIGINS"), id="E005 wildcard"),
    pytest.param({"CORS_ORIGINS": "null"}, ("E006", "CORS_ORIGINS"), id="E006 null"),
    # Also E005: the wildcard on its own.
    pytest.param(
        {"CORS_ORIGINS": "*", "CORS_SUPPORTS_CREDENTIALS": "true"},
        ("E008", "CORS_ORIGINS"),
        id="E008 credentials with wildcard",
    ),
]

# Problems that leave nothing sensible to run: refused in every environment.
ALWAYS_ERRORS = [
    pytest.param({"CORS_ORIGINS": "("}, ("E003", "CORS_ORIGINS"), id="E003 invalid regex"),
    pytest.param({"CORS_MAX_AGE": "abc"}, ("E009", "CORS_MAX_AGE"), id="E009 not a number"),
    pytest.param({"CORS_MAX_AGE": "-5"}, ("E009", "CORS_MAX_AGE"), id="E009 negative"),
    # '5' parses as the JSON number 5, which the engine refuses as resources.
    pytest.param({"CORS_RESOURCES": "5"}, ("E011", "CORS_RESOURCES"), id="E011 resources"),
]


@pytest.mark.parametrize(("variables", "problem"), DEVELOPMENT_WARNS + ALWAYS_ERRORS)
def test_production_refuses(setenv: SetEnv, variables: dict[str, str], problem: tuple[str, str]) -> None:
    setenv(**{**PRODUCTION, **variables})
    assert problem in refusal()


@pytest.mark.parametrize(("variables", "problem"), DEVELOPMENT_WARNS)
def test_development_warns(setenv: SetEnv, variables: dict[str, str], problem: tuple[str, str]) -> None:
    setenv(**variables)
    assert problem in warnings()


@pytest.mark.parametrize(("variables", "problem"), ALWAYS_ERRORS)
def test_development_refuses(setenv: SetEnv, variables: dict[str, str], problem: tuple[str, str]) -> None:
    setenv(**variables)
    assert problem in refusal()


def test_cors_headers_hint_names_cors_allow_headers(setenv: SetEnv) -> None:
    setenv(CORS_HEADERS="X-Token")
    (problem,) = load_settings().warnings
    assert "CORS_ALLOW_HEADERS" in (problem.hint or "")


def test_unknown_variable_in_env_file_is_reported(tmp_path: Path, setenv: SetEnv) -> None:
    (tmp_path / ".env").write_text("CORS_HEADERS=X-Token\n")
    setenv(**PRODUCTION)
    assert refusal() == {("E001", "CORS_HEADERS")}


def test_anchored_regex_origin_is_accepted(setenv: SetEnv) -> None:
    setenv(**{**PRODUCTION, "CORS_ORIGINS": r"^https?://a\.example\.com$"})
    assert load_settings().warnings == []


def test_plain_http_origin_is_refused_in_production(setenv: SetEnv) -> None:
    setenv(**{**PRODUCTION, "CORS_ORIGINS": "http://a.example"})
    assert refusal() == {("E007", "CORS_ORIGINS")}


def test_plain_http_localhost_is_accepted_in_production(setenv: SetEnv) -> None:
    setenv(**{**PRODUCTION, "CORS_ORIGINS": "http://localhost:3000"})
    assert load_settings().warnings == []


def test_plain_http_origin_loads_in_development_with_a_warning(setenv: SetEnv) -> None:
    setenv(CORS_ORIGINS="http://a.example")
    assert warnings() == {("E007", "CORS_ORIGINS")}


def test_empty_origins_are_refused_in_production(setenv: SetEnv) -> None:
    setenv(**{**PRODUCTION, "CORS_ORIGINS": ""})
    assert refusal() == {("E010", "CORS_ORIGINS")}


def test_max_age_is_stripped(setenv: SetEnv) -> None:
    setenv(CORS_MAX_AGE=" 600 ")
    assert load_settings().settings.cors_options()["max_age"] == "600"


def test_unknown_variable_is_a_warning_in_development_even_beside_a_parse_error(setenv: SetEnv) -> None:
    setenv(CORS_HEADERS="X", CORS_SUPPORTS_CREDENTIALS="maybe")
    with pytest.raises(ConfigurationError) as caught:
        load_settings()
    levels = {(p.id, p.level) for p in caught.value.problems}
    assert levels == {("E001", "warning"), ("E100", "error")}


def test_origins_inside_resources_are_checked(setenv: SetEnv) -> None:
    setenv(**{**PRODUCTION, "CORS_RESOURCES": '{"/api/*": {"origins": ["http://a.example"]}}'})
    ((problem_id, variable),) = refusal()
    assert (problem_id, variable.startswith("CORS_RESOURCES")) == ("E007", True)


def test_credentials_with_every_resource_listing_its_origins_start_in_production(setenv: SetEnv) -> None:
    # E008 used to fire here, citing CORS_ORIGINS, which was never set: no resource allows every origin.
    resources = '{"/api/*": {"origins": ["https://app.example.com"]}}'
    setenv(APP_ENV="production", CORS_RESOURCES=resources, CORS_SUPPORTS_CREDENTIALS="true")
    assert load_settings().warnings == []


def test_credentials_with_a_resource_allowing_every_origin_are_refused(setenv: SetEnv) -> None:
    resources = '{"/api/*": {"origins": ["https://app.example.com"]}, "/public/*": {"origins": "*"}}'
    setenv(APP_ENV="production", CORS_RESOURCES=resources, CORS_SUPPORTS_CREDENTIALS="true")
    assert ("E008", "CORS_RESOURCES['/public/*']") in refusal()


# --- Values as written ----------------------------------------------------------------------------


def problem_lines() -> list[str]:
    with pytest.raises(ConfigurationError) as exc:
        load_settings()
    return [str(p) for p in exc.value.problems]


@pytest.mark.parametrize(
    ("variables", "quoted"),
    [
        pytest.param({"MAX_BODY_BYTES": "abc"}, "'abc'", id="E100"),
        pytest.param({"APP_ENV": "prod"}, "'prod'", id="E000"),
        pytest.param(
            {"CORS_ORIGINS": r"^https://a\.example\.com"}, r"'^https://a\.example\.com'", id="E004 regex"
        ),
        pytest.param({"CORS_MAX_AGE": "1.5"}, "'1.5'", id="E009"),
        pytest.param({"CORS_SUPPORTS_CREDENTIALS": "maybe"}, "'maybe'", id="E100 boolean"),
    ],
)
def test_problems_quote_values_as_written(setenv: SetEnv, variables: dict[str, str], quoted: str) -> None:
    setenv(**{**PRODUCTION, **variables})
    assert any(quoted in line for line in problem_lines())


def test_a_value_with_control_characters_is_shown_on_one_printable_line(setenv: SetEnv) -> None:
    setenv(MAX_BODY_BYTES="1\r\nerror: forged\x1b[2J")
    (line,) = problem_lines()
    assert line.isprintable()
    assert "'1\\r\\nerror: forged\\x1b[2J'" in line


@pytest.mark.parametrize(
    ("variable", "text"),
    [
        ("CORS_ORIGINS", r"^https://a\.example\.com$,https://b.example"),
        ("CORS_ORIGINS", r'["^https://[a-z]{2,3}\\.example$"]'),  # a comma inside an item: JSON
        ("CORS_ORIGINS", ""),
        ("CORS_RESOURCES", '{"/api/*": {"origins": ["https://a.example"]}}'),
        ("CORS_RESOURCES", "/api/*"),
        ("CORS_SUPPORTS_CREDENTIALS", "true"),
        ("HEADER_TIMEOUT", "2.5"),
        ("MAX_BODY_BYTES", "100"),
    ],
)
def test_effective_values_are_shown_as_written(setenv: SetEnv, variable: str, text: str) -> None:
    # What `python -m settings` prints for a value is the text that sets it.
    setenv(**{variable: text})
    assert as_text(getattr(load_settings().settings, variable.lower())) == text


# --- python -m settings ---------------------------------------------------------------------------


def run_settings_command(
    tmp_path: Path, app_env: str, *options: str, **variables: str
) -> subprocess.CompletedProcess[str]:
    env = {name: os.environ[name] for name in ("PATH", "HOME") if name in os.environ} | variables
    return subprocess.run(
        [sys.executable, "-m", "settings", "--env", app_env, *options],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_command_refuses_production_without_origins(tmp_path: Path) -> None:
    result = run_settings_command(tmp_path, "production")
    assert (result.returncode, "Traceback" in result.stderr) == (1, False)
    assert "CORS_ORIGINS" in result.stderr
    assert "E010" in result.stderr


def test_command_shows_the_effective_settings_of_a_refused_configuration(tmp_path: Path) -> None:
    result = run_settings_command(tmp_path, "production", MAX_BODY_BYTES="abc", CORS_MAX_AGE="10.5")
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert "CORS_METHODS=GET,POST,PUT,DELETE" in lines
    assert "CORS_MAX_AGE=10.5" in lines
    assert "HEADER_TIMEOUT=10" in lines
    assert any(line.startswith("# MAX_BODY_BYTES") for line in lines)
    assert {"[E100]", "[E009]", "[E010]"} <= set(result.stderr.split())


def test_command_check_prints_only_the_problems(tmp_path: Path) -> None:
    result = run_settings_command(tmp_path, "production", "--check")
    assert (result.returncode, result.stdout) == (1, "")
    assert "[E010]" in result.stderr


def test_command_shows_development_settings(tmp_path: Path) -> None:
    result = run_settings_command(tmp_path, "development")
    assert result.returncode == 0
    assert any(line.startswith("CORS_ORIGINS=") for line in result.stdout.splitlines())


# --- create_app -----------------------------------------------------------------------------------


def test_create_app_exits_on_bad_settings(setenv: SetEnv) -> None:
    setenv(APP_ENV="production")
    with pytest.raises(SystemExit) as exc:
        create_app()
    assert exc.value.code == 1


def test_create_app_prints_problems_without_traceback(
    setenv: SetEnv, capsys: pytest.CaptureFixture[str]
) -> None:
    setenv(APP_ENV="production")
    with pytest.raises(SystemExit):
        create_app()
    err = capsys.readouterr().err
    assert ("E010" in err, "Traceback" in err) == (True, False)


def test_create_app_loads_development_settings() -> None:
    assert type(create_app().state.settings) is DevelopmentSettings


def test_create_app_with_explicit_settings_skips_load_settings(setenv: SetEnv) -> None:
    setenv(APP_ENV="production")  # would be refused with E010 if read
    assert create_app(TestSettings()).state.settings.env == "test"


def test_origins_given_per_resource_satisfy_production(setenv: SetEnv) -> None:
    # What from-flask prints for the original app: origins inside CORS_RESOURCES, none at app level.
    setenv(APP_ENV="production", CORS_RESOURCES='{"/api/*": {"origins": ["https://yourapp.com"]}}')
    assert load_settings().settings.cors_options()["resources"] == {
        "/api/*": {"origins": ["https://yourapp.com"]}
    }


def test_a_resource_without_origins_still_needs_cors_origins_in_production(setenv: SetEnv) -> None:
    setenv(APP_ENV="production", CORS_RESOURCES='{"/api/*": {"origins": ["https://a.example"]}, "/x": {}}')
    assert refusal() == {("E010", "CORS_ORIGINS")}
