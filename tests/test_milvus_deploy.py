"""docker-compose's "cluster" profile: Milvus standalone with etcd and MinIO, two API replicas on it, nginx."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


def test_cluster_profile() -> None:
    services = COMPOSE["services"]
    cluster = {name for name, svc in services.items() if "cluster" in svc.get("profiles", [])}
    assert cluster == {"etcd", "minio", "milvus", "api-1", "api-2", "nginx"}
    assert "profiles" not in services["api"]  # the embedded single-machine service stays the default
    assert services["milvus"]["image"].startswith("milvusdb/milvus:")
    assert services["milvus"]["environment"]["ETCD_ENDPOINTS"] == "etcd:2379"
    for name in ("api-1", "api-2"):
        api = services[name]
        assert api["environment"]["RAG_STORE"] == "milvus://milvus:19530"
        assert api["build"]["args"]["RAG_EXTRAS"] == "milvus"
        assert "/ready" in api["healthcheck"]["test"][3]  # readiness includes the store
        assert "volumes" not in api  # nothing of a replica's own
    nginx = (ROOT / "deploy" / "nginx.conf").read_text(encoding="utf-8")
    assert "server api-1:8000" in nginx and "server api-2:8000" in nginx
    assert services["nginx"]["depends_on"]["api-1"]["condition"] == "service_healthy"
    assert 'pip install ".[$RAG_EXTRAS]"' in (ROOT / "Dockerfile").read_text(encoding="utf-8")
