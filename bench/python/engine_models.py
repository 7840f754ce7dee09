"""scikit-learn on the engine's own training sets (written by `npm run bench -- engine`), one thread.

stdin JSON: {"forests": [{"name", "train", "test", "trees", "max_depth", "min_samples_leaf", "seed"}],
"kmeans": {"csv", "k", "n_init", "seed"} or null}. Each forest CSV has the features then a last column `y`;
missing values are median-imputed (scikit-learn 1.2's forest takes none). Prints one JSON line:
{"<name>": {"train_s", "auc"}, "kmeans": {"seconds", "inertia"}}.
"""
import json
import sys
import time

import numpy as np
from sklearn.cluster import KMeans
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import roc_auc_score

job = json.load(sys.stdin)
out = {}
for f in job["forests"]:
    train = np.genfromtxt(f["train"], delimiter=",", skip_header=1)
    test = np.genfromtxt(f["test"], delimiter=",", skip_header=1)
    xtr, ytr = train[:, :-1], train[:, -1].astype(int)
    xte, yte = test[:, :-1], test[:, -1].astype(int)
    med = np.nanmedian(xtr, axis=0)
    med = np.where(np.isnan(med), 0.0, med)
    for x in (xtr, xte):
        rows, cols = np.where(np.isnan(x))
        x[rows, cols] = med[cols]
    clf = RandomForestClassifier(
        n_estimators=f["trees"],
        max_depth=f["max_depth"],
        min_samples_leaf=f["min_samples_leaf"],
        n_jobs=1,
        random_state=f["seed"],
    )
    t0 = time.perf_counter()
    clf.fit(xtr, ytr)
    train_s = time.perf_counter() - t0
    out[f["name"]] = {"train_s": train_s, "auc": roc_auc_score(yte, clf.predict_proba(xte)[:, 1])}
k = job.get("kmeans")
if k:
    x = np.loadtxt(k["csv"], delimiter=",", skiprows=1)
    t0 = time.perf_counter()
    km = KMeans(n_clusters=k["k"], n_init=k["n_init"], random_state=k["seed"]).fit(x)
    out["kmeans"] = {"seconds": time.perf_counter() - t0, "inertia": float(km.inertia_)}
print(json.dumps(out))
