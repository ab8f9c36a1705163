"""A batch test handler written with mlqd.handler: doubles each job's "x"."""

import mlqd
import mlqd.handler


def handle(jobs):
    out = []
    for i, job in enumerate(jobs):
        x = job.payload.get("x") if isinstance(job.payload, dict) else None
        if not isinstance(x, int):
            out.append(mlqd.Fail(f"x must be an integer, got {x!r}"))
            continue
        job.progress(100, "scored")
        if job.payload.get("emit"):
            job.emit(f"doubling {x}")
        out.append({"x2": 2 * x, "batch_size": len(jobs), "index": i})
    print(f"scored a batch of {len(jobs)}")
    return out


if __name__ == "__main__":
    mlqd.handler.run(handle, batch=True)
