"""An Iris classifier served by `mlqd worker --exec`.

The model is trained once, when mlqd starts this process (one per concurrency slot), on the
Iris data set that ships inside scikit-learn; then every job is answered from memory.

Queues:
* any queue but ``iris-train``: predictions. Payload ``{"features": [5.1, 3.5, 1.4, 0.2]}``
  (sepal length, sepal width, petal length, petal width, in cm) or a list of such rows
  ``{"features": [[...], [...]]}``. Batched: with ``--batch-size N`` up to N jobs are
  scored in one model call.
* ``iris-train``: trains a fresh SGD classifier for ``epochs`` epochs (default 20),
  reporting progress after each; ``pause`` (seconds per epoch, default 0) slows it down
  so you can watch the progress. Returns its test accuracy.

Written with ``mlqd.handler`` (``pip install scikit-learn ./python``). Run from the
repository root::

    mlqd worker --queue iris,iris-train --exec "python3 examples/iris/handler.py" --batch-size 16 --batch-wait 5ms
"""

import sys
import time

import mlqd
import mlqd.handler
import numpy as np
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

# ---- loaded once per process -----------------------------------------------------------
IRIS = load_iris()
NAMES = [str(n) for n in IRIS.target_names]
X_TRAIN, X_TEST, Y_TRAIN, Y_TEST = train_test_split(
    IRIS.data, IRIS.target, test_size=0.3, random_state=0, stratify=IRIS.target
)
MODEL = LogisticRegression(max_iter=1000).fit(X_TRAIN, Y_TRAIN)
print(
    "iris model trained on %d flowers; test accuracy %.3f" % (len(X_TRAIN), MODEL.score(X_TEST, Y_TEST)),
    file=sys.stderr,
)


def rows_of(payload):
    """The feature rows of a prediction payload, or a permanent failure saying what's wrong."""
    if not isinstance(payload, dict) or "features" not in payload:
        raise mlqd.Fail('expected {"features": [sepal_length, sepal_width, petal_length, petal_width]}')
    feats = payload["features"]
    single = isinstance(feats, list) and all(isinstance(x, (int, float)) for x in feats)
    rows = [feats] if single else feats
    if not isinstance(rows, list) or not rows:
        raise mlqd.Fail("features must be a list of 4 numbers, or a list of such lists")
    for row in rows:
        ok = isinstance(row, list) and len(row) == 4
        if not ok or not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in row):
            raise mlqd.Fail("each row of features must be 4 numbers, got %r" % (row,))
    return rows, single


def describe(probs):
    k = int(np.argmax(probs))
    return {
        "class": NAMES[k],
        "class_id": k,
        "probabilities": {name: round(float(p), 4) for name, p in zip(NAMES, probs)},
    }


def predict(payloads):
    """Scores every row of every job in one model call; one result (or mlqd.Fail) per job."""
    results = [None] * len(payloads)
    spans = []  # (job index, first row, row count, single)
    stacked = []
    for i, payload in enumerate(payloads):
        try:
            rows, single = rows_of(payload)
        except mlqd.Fail as e:
            results[i] = e
            continue
        spans.append((i, len(stacked), len(rows), single))
        stacked.extend(rows)
    if stacked:
        probs = MODEL.predict_proba(np.asarray(stacked, dtype=float))
        for i, start, count, single in spans:
            answers = [describe(p) for p in probs[start : start + count]]
            results[i] = answers[0] if single else {"predictions": answers}
    return results


def train(job):
    """Trains a fresh classifier epoch by epoch, reporting progress after each."""
    payload = job.payload if isinstance(job.payload, dict) else {}
    epochs = int(payload.get("epochs", 20))
    pause = float(payload.get("pause", 0))
    if not 1 <= epochs <= 10000:
        raise mlqd.Fail("epochs must be 1 to 10000")
    scaler = StandardScaler().fit(X_TRAIN)
    x_train, x_test = scaler.transform(X_TRAIN), scaler.transform(X_TEST)
    clf = SGDClassifier(loss="log_loss", random_state=0)
    classes = np.unique(IRIS.target)
    accuracy = 0.0
    for epoch in range(1, epochs + 1):
        clf.partial_fit(x_train, Y_TRAIN, classes=classes)
        accuracy = float(clf.score(x_test, Y_TEST))
        # raises mlqd.Cancelled if the job was cancelled: training stops here
        job.progress(100 * epoch // epochs, "epoch %d/%d, test accuracy %.3f" % (epoch, epochs, accuracy))
        if pause:
            time.sleep(pause)
    return {"model": "SGDClassifier", "epochs": epochs, "test_accuracy": round(accuracy, 4)}


def handle(jobs):
    """A batch of jobs (up to --batch-size): predictions scored together, trainings one by one."""
    results = [None] * len(jobs)
    scoring = [i for i, job in enumerate(jobs) if job.queue != "iris-train"]
    for i, result in zip(scoring, predict([jobs[i].payload for i in scoring])):
        results[i] = result
    for i, job in enumerate(jobs):
        if job.queue == "iris-train":
            try:
                results[i] = train(job)
            except Exception as e:  # noqa: BLE001 - this job fails, the others keep their results
                results[i] = e
    return results


if __name__ == "__main__":
    mlqd.handler.run(handle, batch=True)
