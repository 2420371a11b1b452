"""The container image and deployment manifests: schema-valid, and saying what we mean.

Every document in deploy/kubernetes/*.yaml is checked against the Kubernetes API schemas
bundled with kubernetes-validate (offline, strict: unknown fields fail). The rest reads
the Deployment, Service, compose file and Dockerfile for the properties the service
relies on: probes on /livez and /readyz, two replicas, non-root, tokens from a Secret.
"""

from __future__ import annotations

import copy
import json
import re
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "kubernetes"
COMPOSE = ROOT / "deploy" / "compose.yaml"
DOCKERFILE = ROOT / "Dockerfile"
# Not a Kubernetes API object (a kustomize build file): checked on its own below.
KUSTOMIZATION = "kustomization.yaml"
K8S_VERSION = kubernetes_validate.latest_version()


def _documents(path: Path) -> list[dict[str, Any]]:
    docs = [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]
    assert docs, f"{path.name} holds no document"
    return docs


def _manifests() -> list[Path]:
    return sorted(p for p in K8S.glob("*.yaml") if p.name != KUSTOMIZATION)


def _validate(doc: dict[str, Any]) -> None:
    kubernetes_validate.validate(doc, K8S_VERSION, strict=True)


def _one(kind: str) -> dict[str, Any]:
    found = [d for p in _manifests() for d in _documents(p) if d.get("kind") == kind]
    assert len(found) == 1, f"expected one {kind}, found {len(found)}"
    return found[0]


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to open a connection fails the test: the schemas must come offline."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"network access attempted: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


@pytest.fixture
def deployment() -> dict[str, Any]:
    return _one("Deployment")


@pytest.fixture
def container(deployment: dict[str, Any]) -> dict[str, Any]:
    containers = deployment["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    return containers[0]


# --- schema validation -----------------------------------------------------------------


def test_the_schema_version_is_recent() -> None:
    major, minor = (int(part) for part in K8S_VERSION.split(".")[:2])
    assert (major, minor) >= (1, 31)


def test_there_are_manifests_to_validate() -> None:
    names = {p.name for p in _manifests()}
    assert {
        "deployment.yaml",
        "service.yaml",
        "configmap.yaml",
        "secret.example.yaml",
        "pdb.yaml",
    } <= names


@pytest.mark.parametrize("path", _manifests(), ids=lambda p: p.name)
def test_every_manifest_is_valid_against_the_kubernetes_schema(
    path: Path, no_network: None
) -> None:
    for doc in _documents(path):
        try:
            _validate(doc)
        except kubernetes_validate.ValidationError as err:
            where = ".".join(str(part) for part in err.path)
            pytest.fail(f"{path.name}: {doc.get('kind')} at {where or '(top)'}: {err.message}")


def _broken_deployments() -> Iterator[tuple[str, dict[str, Any]]]:
    base = _one("Deployment")
    wrong_type = copy.deepcopy(base)
    wrong_type["spec"]["replicas"] = "two"
    yield "replicas is a string", wrong_type
    unknown_field = copy.deepcopy(base)
    unknown_field["spec"]["template"]["spec"]["containers"][0]["livenessProbes"] = {}
    yield "unknown container field", unknown_field
    unknown_top = copy.deepcopy(base)
    unknown_top["spec"]["replica"] = 2
    yield "misspelt spec field", unknown_top
    no_image_name = copy.deepcopy(base)
    del no_image_name["spec"]["template"]["spec"]["containers"][0]["name"]
    yield "container without a name", no_image_name


@pytest.mark.parametrize(("why", "doc"), list(_broken_deployments()), ids=lambda v: v)
def test_a_broken_manifest_fails_validation(why: str, doc: Any, no_network: None) -> None:
    with pytest.raises(kubernetes_validate.ValidationError):
        _validate(doc)


def test_a_secret_with_a_numeric_value_fails_validation(no_network: None) -> None:
    secret = copy.deepcopy(_one("Secret"))
    secret["stringData"]["SLACK_BOT_TOKEN"] = 12345
    with pytest.raises(kubernetes_validate.ValidationError):
        _validate(secret)


def test_kustomization_lists_every_manifest_but_the_secret_example() -> None:
    (kustomization,) = _documents(K8S / KUSTOMIZATION)
    assert kustomization["kind"] == "Kustomization"
    listed = kustomization["resources"]
    assert len(listed) == len(set(listed))
    for name in listed:
        assert (K8S / name).is_file(), f"{name} is listed but missing"
    expected = {p.name for p in _manifests()} - {"secret.example.yaml"}
    assert set(listed) == expected


def test_every_object_carries_the_app_label() -> None:
    for path in _manifests():
        for doc in _documents(path):
            labels = doc["metadata"].get("labels", {})
            assert labels.get("app.kubernetes.io/name") == "releasebot", path.name


# --- what the Deployment and Service say -----------------------------------------------


def test_two_replicas_rolled_without_losing_capacity(deployment: dict[str, Any]) -> None:
    spec = deployment["spec"]
    assert spec["replicas"] == 2
    assert spec["strategy"]["type"] == "RollingUpdate"
    assert spec["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    assert spec["template"]["spec"]["terminationGracePeriodSeconds"] == 30


def test_pod_labels_match_the_selector(deployment: dict[str, Any]) -> None:
    selector = deployment["spec"]["selector"]["matchLabels"]
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert selector.items() <= pod_labels.items()


def test_container_runs_releasebot_on_the_http_port(container: dict[str, Any]) -> None:
    assert container["args"] == ["run"]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports == {"http": 3000}
    config = _one("ConfigMap")["data"]
    assert config["PORT"] == str(ports["http"])


@pytest.mark.parametrize(
    ("probe", "path"),
    [("livenessProbe", "/livez"), ("readinessProbe", "/readyz"), ("startupProbe", "/livez")],
)
def test_probes_ask_the_health_endpoints(container: dict[str, Any], probe: str, path: str) -> None:
    get = container[probe]["httpGet"]
    assert get["path"] == path
    assert get["port"] == "http"


def test_runs_as_non_root_on_a_read_only_filesystem(
    deployment: dict[str, Any], container: dict[str, Any]
) -> None:
    pod = deployment["spec"]["template"]["spec"]["securityContext"]
    assert pod["runAsNonRoot"] is True
    assert pod["runAsUser"] == 10001
    ctx = container["securityContext"]
    assert ctx["runAsNonRoot"] is True
    assert ctx["runAsUser"] == 10001
    assert ctx["readOnlyRootFilesystem"] is True
    assert ctx["allowPrivilegeEscalation"] is False
    assert ctx["capabilities"]["drop"] == ["ALL"]


def test_resources_are_bounded(container: dict[str, Any]) -> None:
    resources = container["resources"]
    assert {"cpu", "memory"} <= resources["requests"].keys()
    assert "memory" in resources["limits"]


def test_tokens_come_from_the_secret(container: dict[str, Any]) -> None:
    secret = _one("Secret")
    env = {item["name"]: item for item in container["env"]}
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "DATABASE_URL"):
        assert "value" not in env[name], f"{name} has a literal value"
        ref = env[name]["valueFrom"]["secretKeyRef"]
        assert ref["name"] == secret["metadata"]["name"]
        assert ref["key"] in secret["stringData"]
    for item in container["env"]:
        assert not str(item.get("value", "")).startswith(("xox", "xapp-")), item["name"]
    config_refs = [s["configMapRef"]["name"] for s in container["envFrom"]]
    assert config_refs == [_one("ConfigMap")["metadata"]["name"]]


def test_no_secret_in_the_config_map() -> None:
    data = _one("ConfigMap")["data"]
    assert not {"SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN"} & data.keys()
    assert not any("DATABASE_URL" in key for key in data)


def test_the_service_selects_the_pods(deployment: dict[str, Any]) -> None:
    service = _one("Service")
    assert service["spec"]["type"] == "ClusterIP"
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= pod_labels.items()
    (port,) = service["spec"]["ports"]
    assert port["port"] == 80
    assert port["targetPort"] == "http"


def test_the_disruption_budget_covers_the_pods(deployment: dict[str, Any]) -> None:
    pdb = _one("PodDisruptionBudget")
    assert pdb["spec"]["minAvailable"] == 1
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert pdb["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()


# --- compose -----------------------------------------------------------------------------


def test_compose_runs_two_replicas_on_postgres() -> None:
    compose = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    services = compose["services"]
    postgres = services["postgres"]
    assert postgres["image"].startswith("postgres:16")
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    volume = postgres["volumes"][0].split(":")[0]
    assert volume in compose["volumes"]

    bots = {name: svc for name, svc in services.items() if name.startswith("releasebot")}
    assert len(bots) == 2
    published = set()
    for svc in bots.values():
        assert svc["build"]["context"] == ".."
        assert (COMPOSE.parent / svc["build"]["context"] / "Dockerfile").is_file()
        assert svc["environment"]["DATABASE_URL"] == (
            "postgresql://releasebot:releasebot@postgres:5432/releasebot"
        )
        assert svc["env_file"] == "../.env"
        assert svc["depends_on"]["postgres"]["condition"] == "service_healthy"
        (mapping,) = svc["ports"]
        host, container_port = mapping.split(":")
        assert container_port == svc["environment"]["PORT"] == "3000"
        published.add(host)
    assert published == {"3000", "3001"}


# --- Dockerfile ---------------------------------------------------------------------------


def _instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with comments dropped and continuations joined."""
    out: list[tuple[str, str]] = []
    logical = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            logical += line[:-1] + " "
            continue
        logical += line
        word, _, rest = logical.partition(" ")
        out.append((word.upper(), rest.strip()))
        logical = ""
    return out


def _stages() -> list[list[tuple[str, str]]]:
    stages: list[list[tuple[str, str]]] = []
    for instruction in _instructions(DOCKERFILE.read_text(encoding="utf-8")):
        if instruction[0] == "FROM":
            stages.append([])
        if stages:
            stages[-1].append(instruction)
    return stages


def test_dockerfile_builds_wheels_then_installs_only_them() -> None:
    build, final = _stages()[0], _stages()[-1]
    assert len(_stages()) == 2
    assert build[0][1].startswith("python:3.11-slim")
    assert final[0][1].startswith("python:3.11-slim")
    assert any(word == "RUN" and "pip wheel" in args for word, args in build)
    installs = [args for word, args in final if word == "RUN" and "pip install" in args]
    assert installs
    assert all("--no-index" in args for args in installs)


def test_dockerfile_final_stage_has_no_build_tools() -> None:
    final = " ".join(args for word, args in _stages()[-1] if word == "RUN")
    for tool in ("gcc", "g++", "build-essential", "curl"):
        assert tool not in final, tool


def test_dockerfile_runs_releasebot_as_a_non_root_user() -> None:
    final = _stages()[-1]
    users = [args for word, args in final if word == "USER"]
    assert users, "the final stage sets no USER"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0")
    assert user == "10001"
    (entrypoint,) = [args for word, args in final if word == "ENTRYPOINT"]
    assert json.loads(entrypoint) == ["releasebot"]
    (cmd,) = [args for word, args in final if word == "CMD"]
    assert json.loads(cmd) == ["run"]


def test_dockerfile_serves_and_checks_port_3000() -> None:
    final = _stages()[-1]
    assert [args for word, args in final if word == "EXPOSE"] == ["3000"]
    env = " ".join(args for word, args in final if word == "ENV")
    assert re.search(r"\bPORT=3000\b", env)
    assert re.search(r"\bPYTHONUNBUFFERED=1\b", env)
    (check,) = [args for word, args in final if word == "HEALTHCHECK"]
    assert "urllib" in check
    assert "/livez" in check
    assert "curl" not in check


def test_dockerignore_keeps_local_state_out() -> None:
    entries = set((ROOT / ".dockerignore").read_text(encoding="utf-8").split())
    assert {".venv", ".git", ".env", "*.db", "__pycache__", ".pytest_cache", "tests"} <= entries
