"""deploy/kubernetes: a kustomize base, validated offline against the Kubernetes schemas.

kubernetes-validate ships the schemas (no network); each manifest is checked in strict mode
(unknown fields refused) for the oldest and the newest Kubernetes it knows. The probes, ports,
commands, configuration and secret references are resolved against the app and the image.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from gateway.config import load_settings
from tests.deploy.files import KUBERNETES, by_kind, check_command, dockerfile_stages, health_paths, manifests

VERSIONS = ("1.29", kubernetes_validate.latest_version())  # 1.29: still served by the big clouds
SECRET_VALUES = {"database-url": "postgresql://ticketgate:pw@db:5432/ticketgate",
                 "admin-token": "k8s-test-token-0123456789"}
WORKLOADS = (("Deployment", "ticketgate-serve"), ("Deployment", "ticketgate-worker"),
             ("Job", "ticketgate-migrate"))


def pod_spec(kind: str, name: str) -> dict[str, Any]:
    spec: dict[str, Any] = by_kind(kind, name)["spec"]["template"]["spec"]
    return spec


def serve_container() -> dict[str, Any]:
    (container,) = pod_spec("Deployment", "ticketgate-serve")["containers"]
    return container


@pytest.mark.parametrize("version", VERSIONS)
def test_every_manifest_is_valid(version: str) -> None:
    for name, documents in manifests().items():
        assert documents, name
        for document in documents:
            kubernetes_validate.validate(document, version, strict=True)


def test_the_kustomization_lists_every_file() -> None:
    kustomization = yaml.safe_load((KUBERNETES / "kustomization.yaml").read_text())
    assert kustomization["kind"] == "Kustomization"
    assert sorted(kustomization["resources"]) == sorted(manifests())
    assert [i["name"] for i in kustomization["images"]] == ["ticketgate"]
    images = {c["image"] for kind, name in WORKLOADS for c in pod_spec(kind, name)["containers"]}
    assert images == {"ticketgate"}, "every container's image is the one kustomize sets"


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl not installed (the checks above still ran)")
def test_kubectl_kustomize_renders_valid_manifests() -> None:
    rendered = subprocess.run(["kubectl", "kustomize", str(KUBERNETES)], capture_output=True, text=True,
                              check=True, timeout=60).stdout
    documents = [d for d in yaml.safe_load_all(rendered) if d]
    assert len(documents) == sum(len(d) for d in manifests().values())
    for document in documents:
        kubernetes_validate.validate(document, VERSIONS[-1], strict=True)


def test_the_workloads_the_issue_asks_for() -> None:
    serve = by_kind("Deployment", "ticketgate-serve")["spec"]
    assert serve["replicas"] == 2 and serve["template"]["spec"]["terminationGracePeriodSeconds"] >= 30
    commands = {name: check_command(pod_spec(kind, name)["containers"][0]["args"]) for kind, name in WORKLOADS}
    assert commands == {"ticketgate-serve": "serve", "ticketgate-worker": "worker", "ticketgate-migrate": "migrate"}
    hpa = by_kind("HorizontalPodAutoscaler")
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "ticketgate-serve"}
    assert hpa["spec"]["minReplicas"] >= 2
    selector = serve["selector"]["matchLabels"]
    assert by_kind("PodDisruptionBudget")["spec"]["selector"]["matchLabels"] == selector
    assert by_kind("Service")["spec"]["selector"] == selector
    assert selector.items() <= serve["template"]["metadata"]["labels"].items()


def test_pods_run_non_root_read_only_without_privileges() -> None:
    uid = int(dockerfile_stages()[-1].last("USER").args.split(":")[0])  # type: ignore[union-attr]
    for kind, name in WORKLOADS:
        spec = pod_spec(kind, name)
        assert spec["securityContext"]["runAsNonRoot"] is True and spec["securityContext"]["runAsUser"] == uid
        assert spec["automountServiceAccountToken"] is False
        volumes = {v["name"]: v for v in spec["volumes"]}
        for container in spec["containers"]:
            context = container["securityContext"]
            assert context["readOnlyRootFilesystem"] is True and context["allowPrivilegeEscalation"] is False
            assert context["capabilities"] == {"drop": ["ALL"]} and context.get("privileged") is False
            assert {"requests", "limits"} <= set(container["resources"]), (name, "resources")
            mounts = {m["mountPath"]: volumes[m["name"]] for m in container["volumeMounts"]}
            assert "emptyDir" in mounts["/tmp"], "the one writable path"
            assert all("emptyDir" in v or m.get("readOnly") for m in container["volumeMounts"]
                       for v in [volumes[m["name"]]])


def effective_settings(container: dict[str, Any], tmp_path: Path) -> Any:
    """The settings the container's process loads: image ENV, then the container's env, with the
    ConfigMap's file where TICKETGATE_CONFIG points and the Secret's keys resolved."""
    configmap = by_kind("ConfigMap", "ticketgate-config")
    env = dict(dockerfile_stages()[-1].env())
    for var in container["env"]:
        if "value" in var:
            env[var["name"]] = var["value"]
        else:
            ref = var["valueFrom"]["secretKeyRef"]
            assert ref["name"] == "ticketgate", "one Secret, named in kustomization.yaml"
            env[var["name"]] = SECRET_VALUES[ref["key"]]
    config = Path(env["TICKETGATE_CONFIG"])
    (mount,) = [m for m in container["volumeMounts"] if Path(m["mountPath"]) == config.parent]
    volume = next(v for v in pod_spec("Deployment", "ticketgate-serve")["volumes"] if v["name"] == mount["name"])
    assert volume["configMap"]["name"] == configmap["metadata"]["name"]
    local = tmp_path / config.name
    local.write_text(configmap["data"][config.name])
    return load_settings(environ={**env, "TICKETGATE_CONFIG": str(local)})


def test_probes_hit_routes_and_the_port_the_app_serves(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    container = serve_container()
    settings = effective_settings(container, tmp_path)
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        get = container[probe]["httpGet"]
        assert get["path"] in health_paths(), probe
        assert ports.get(get["port"], get["port"]) == settings.port, probe
    assert settings.host == "0.0.0.0"
    (service_port,) = by_kind("Service")["spec"]["ports"]
    assert ports.get(service_port["targetPort"], service_port["targetPort"]) == settings.port
    assert settings.admin_token == SECRET_VALUES["admin-token"]
    assert settings.database_url == SECRET_VALUES["database-url"]
    assert settings.webhook_worker is False  # the worker Deployment delivers


def test_worker_and_job_read_the_same_configuration(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for kind, name in WORKLOADS[1:]:
        (container,) = pod_spec(kind, name)["containers"]
        settings = effective_settings(container, tmp_path)
        assert settings.database_url == SECRET_VALUES["database-url"], name
