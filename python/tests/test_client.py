"""mlqd.Client against a real `mlqd serve` and workers on a private redis-server."""

from __future__ import annotations

import datetime as dt
import threading

import pytest

import mlqd
from conftest import Mlqd, eventually, free_port
from mlqd import errors


def test_round_trip_post_status_result_wait(mlqd_env: Mlqd) -> None:
    client = mlqd_env.up("--queue", "echo", "--builtin", "echo")
    job = client.post("echo", {"text": "hello", "n": [1, 2, 3]})
    assert job.startswith("echo.")
    final = client.wait(job, timeout=30)
    assert final["state"] == "succeeded", final
    assert final["id"] == job
    assert client.result(job) == {"text": "hello", "n": [1, 2, 3]}
    raw = client.result(job, decode=False)
    assert isinstance(raw, mlqd.Result)
    assert raw.content_type.startswith("application/json")
    st = client.status(job)
    assert st["state"] == "succeeded" and st["attempts"] == 1 and st["queue"] == "echo"
    # a JSON string payload is JSON too; None is null
    assert client.result(client.post("echo", "just text"), wait=30) == "just text"
    assert client.result(client.post("echo", None), wait=30) is None


def test_post_options_reach_the_job(mlqd_env: Mlqd) -> None:
    client = mlqd_env.up()  # no worker: the jobs stay put
    job = client.post(
        "opts", {"a": 1}, priority=7, max_retries=1, max_stalls=2, timeout="90s",
        result_ttl=dt.timedelta(hours=1), delay=dt.timedelta(minutes=5),
    )
    st = client.status(job)
    assert st["state"] == "scheduled", st
    assert (st["priority"], st["max_retries"], st["max_stalls"]) == (7, 1, 2)
    assert st["run_at"] is not None
    at = dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=2)
    later = client.post("opts", {}, run_at=at)
    assert client.status(later)["run_at"].startswith(at.strftime("%Y-%m-%dT%H:%M"))
    with pytest.raises(errors.Invalid) as e:
        client.post("opts", {}, priority=1000)
    assert e.value.code == "invalid" and e.value.status == 400
    with pytest.raises(ValueError):
        client.post("opts", {}, delay="soon")  # refused before anything is sent
    with pytest.raises(ValueError):
        client.post("opts", {}, delay=-1)


def test_idempotency_key_returns_the_first_job(mlqd_env: Mlqd) -> None:
    client = mlqd_env.up()
    first = client.post("idem", {"v": 1}, idempotency_key="order-7")
    again = client.post("idem", {"v": 2}, idempotency_key="order-7")
    other = client.post("idem", {"v": 1}, idempotency_key="order-8")
    assert again == first and other != first
    assert client.queue("idem")["pending"] == 2
    ids = client.post_batch("idem", [{"i": 0}, {"i": 1}], idempotency_key="batch-1")
    assert client.post_batch("idem", [{"i": 0}, {"i": 1}], idempotency_key="batch-1") == ids


def test_bytes_and_text_payloads_keep_their_content_type(mlqd_env: Mlqd) -> None:
    client = mlqd_env.up("--queue", "echo", "--builtin", "echo")
    png = bytes(range(256)) * 4
    job = client.post("echo", png, content_type="image/png")
    assert client.status(job)["content_type"] == "image/png"
    assert client.result(job, wait=30) == png  # not JSON: bytes
    res = client.result(job, decode=False)
    assert (res.data, res.content_type) == (png, "image/png")
    text = client.post("echo", "héllo", content_type="text/plain; charset=utf-8")
    assert client.result(text, wait=30) == "héllo".encode()
    with pytest.raises(ValueError, match="content_type"):
        client.post("echo", b"\x00\x01")
    with pytest.raises(TypeError):
        client.post("echo", {"a": 1}, content_type="text/plain")


def test_post_batch_and_call(mlqd_env: Mlqd) -> None:
    client = mlqd_env.up("--queue", "echo", "--builtin", "echo")
    ids = client.post_batch("echo", [{"i": i} for i in range(5)], priority=3)
    assert len(set(ids)) == 5
    assert [client.result(i, wait=30) for i in ids] == [{"i": i} for i in range(5)]
    assert client.call("echo", {"inline": True}, wait=30) == {"inline": True}
    with pytest.raises(TypeError):
        client.post_batch("echo", {"not": "a list"})  # type: ignore[arg-type]


def test_events_follow_progress_to_the_terminal_state(mlqd_env: Mlqd) -> None:
    client = mlqd_env.up("--queue", "slow", "--builtin", "sleep")
    job = client.post("slow", {"ms": 600})
    seen = list(client.events(job))
    kinds = [k for k, _ in seen]
    assert kinds[0] == "state"
    assert "progress" in kinds, kinds
    assert seen[-1][0] == "state" and seen[-1][1]["state"] == "succeeded"
    percents = [d["progress"]["percent"] for k, d in seen if k == "progress"]
    assert percents == sorted(percents)


def test_cancel_and_its_errors(mlqd_env: Mlqd) -> None:
    client = mlqd_env.up()
    job = client.post("later", {}, delay=60)
    answer = client.cancel(job)
    assert answer["state"] == "cancelled" and answer["previous_state"] == "scheduled"
    assert client.wait(job, timeout=10)["state"] == "cancelled"
    with pytest.raises(errors.JobFailed) as e:
        client.result(job)
    assert (e.value.code, e.value.status, e.value.state) == ("job_cancelled", 409, "cancelled")
    assert client.cancel(job)["state"] == "cancelled"  # again: fine


def test_conflict_when_cancelling_a_finished_job(mlqd_env: Mlqd) -> None:
    client = mlqd_env.up("--queue", "echo", "--builtin", "echo")
    job = client.post("echo", {})
    client.wait(job, timeout=30)
    with pytest.raises(errors.Conflict) as e:
        client.cancel(job)
    assert e.value.code == "conflict" and not isinstance(e.value, errors.JobFailed)


def test_unknown_and_malformed_ids_are_typed_errors(mlqd_env: Mlqd) -> None:
    client = mlqd_env.up()
    missing = "echo.01JDX3ZZZZZZZZZZZZZZZZZZZZ"
    for call in (client.status, client.result, client.cancel, lambda i: client.wait(i, timeout=5)):
        with pytest.raises(errors.NotFound) as e:
            call(missing)
        assert (e.value.code, e.value.status) == ("not_found", 404)
        assert missing in e.value.message
    with pytest.raises(errors.NotFound) as e:
        list(client.events(missing))
    assert e.value.code == "not_found"
    with pytest.raises(errors.Invalid) as bad:
        client.status("not-an-id")
    assert bad.value.status == 400
    with pytest.raises(errors.Invalid):
        client.post("bad queue!", {})
    with pytest.raises(errors.NotFound) as nq:
        client.queue("never-used")
    assert nq.value.code == "not_found"


def test_queue_full_is_a_typed_error_with_retry_after(mlqd_env: Mlqd) -> None:
    client = mlqd_env.up(serve_args=("--max-pending", "2"))
    client.post("full", {"i": 1})
    client.post("full", {"i": 2})
    with pytest.raises(errors.QueueFull) as e:
        client.post("full", {"i": 3})
    err = e.value
    assert (err.code, err.status) == ("queue_full", 429)
    assert err.retry_after is not None and err.retry_after >= 1
    assert "full" in err.message
    assert client.queue("full")["pending"] == 2  # the refused job was not stored


def test_token_auth(mlqd_env: Mlqd) -> None:
    url = mlqd_env.serve("--token", "s3cret")
    anonymous = mlqd_env.client(url)
    with pytest.raises(errors.Unauthorized) as e:
        anonymous.post("q", {})
    assert (e.value.code, e.value.status) == ("unauthorized", 401)
    wrong = mlqd_env.client(url, token="guess")
    with pytest.raises(errors.Unauthorized):
        wrong.queues()
    client = mlqd_env.client(url, token="s3cret")
    job = client.post("q", {"ok": True})
    assert client.status(job)["state"] == "pending"


def test_results_of_unfinished_and_failed_jobs(mlqd_env: Mlqd) -> None:
    client = mlqd_env.up()
    job = client.post("idle", {})
    with pytest.raises(errors.NotFinished) as e:
        client.result(job)
    assert e.value.state == "pending" and not isinstance(e.value, errors.WaitTimeout)
    with pytest.raises(errors.WaitTimeout):
        client.result(job, wait=0.3)
    with pytest.raises(errors.WaitTimeout) as w:
        client.wait(job, timeout="300ms")
    assert w.value.state == "pending"
    # a job that keeps failing ends dead: wait() answers, result() raises
    mlqd_env.worker("--queue", "bad", "--builtin", "fail")
    dead = client.post("bad", {}, max_retries=0)
    final = client.wait(dead, timeout=30)
    assert final["state"] == "dead" and final["error"]
    with pytest.raises(errors.JobFailed) as f:
        client.result(dead)
    assert (f.value.code, f.value.state) == ("job_dead", "dead")
    with pytest.raises(errors.JobFailed) as f:
        client.call("bad", {}, max_retries=0, wait=30)
    assert f.value.job_status is not None and f.value.job_status["state"] == "dead"


def test_wait_returns_as_the_job_finishes(mlqd_env: Mlqd) -> None:
    client = mlqd_env.up()
    job = client.post("late", {"v": 1})
    got = {}
    t = threading.Thread(target=lambda: got.update(client.wait(job, timeout=60)))
    t.start()
    mlqd_env.worker("--queue", "late", "--builtin", "echo")  # starts after wait() began
    t.join(60)
    assert got.get("state") == "succeeded", got


def test_queue_helpers_and_dead_letters(mlqd_env: Mlqd) -> None:
    client = mlqd_env.up("--queue", "flaky", "--builtin", "fail")
    dead = [client.post("flaky", {"i": i}, max_retries=0) for i in range(3)]
    for job in dead:
        assert client.wait(job, timeout=30)["state"] == "dead"
    page = client.dlq_list("flaky")
    assert page["total"] == 3 and {j["id"] for j in page["jobs"]} == set(dead)
    assert client.dlq_list("flaky", limit=1)["limit"] == 1
    paused = client.pause("flaky")
    assert paused["paused"] is True
    assert client.dlq_requeue("flaky", [dead[0]]) == [dead[0]]
    assert client.status(dead[0])["state"] == "pending"  # paused: it stays there
    with pytest.raises(errors.NotFound):
        client.dlq_requeue("flaky", [dead[0]])  # no longer dead
    assert client.dlq_purge("flaky") == 2
    assert client.resume("flaky")["paused"] is False
    assert client.wait(dead[0], timeout=30)["state"] == "dead"
    # paused, so the requeued job cannot die again while the server is still requeueing
    # (requeue-all loops until the dead set is empty: a fast enough failure is requeued twice)
    client.pause("flaky")
    assert client.dlq_requeue("flaky", all=True) == [dead[0]]
    assert any(q["queue"] == "flaky" for q in client.queues())
    workers = eventually(lambda: client.workers() or None, what="a live worker")
    assert len(workers) == 1
    with pytest.raises(ValueError):
        client.dlq_requeue("flaky")


def test_no_server_is_connection_failed() -> None:
    with mlqd.Client(f"http://127.0.0.1:{free_port()}", timeout=2) as client:
        with pytest.raises(errors.ConnectionFailed) as e:
            client.status("q.01JDX3ZZZZZZZZZZZZZZZZZZZZ")
    assert isinstance(e.value, errors.Unavailable)
    assert e.value.status is None and e.value.code == "connection_failed"
