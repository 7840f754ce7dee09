"""scikit-learn's RandomForestClassifier on the same rows and split as crm-agent's forest.

Reads a JSON job on stdin: {"csv", "target", "positive", "drop": [...], "train": [...], "test": [...], "trees",
"seed"}; prints one JSON line {"auc", "brier", "ece", "accuracy", "train_s", "predict_s"} (ece: expected calibration error
over ten equal-mass bins, computed as crm-agent's src/engine/lib/calibration-error.ts does). Text columns are one-hot
(pandas get_dummies), identifiers (text with > 50% distinct values) left out, blanks median-imputed
(scikit-learn 1.2's forest does not take missing values).
"""
import json
import sys
import time

import numpy as np
import pandas as pd
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import accuracy_score, brier_score_loss, roc_auc_score



def ece(y, p, bins=10):
    """Equal-mass bins: sorted by p (ties by position), group g = sorted rows [g*n//bins, (g+1)*n//bins)."""
    order = np.lexsort((np.arange(len(p)), p))
    n = len(p)
    groups = min(bins, n)
    total = 0.0
    for g in range(groups):
        idx = order[g * n // groups:(g + 1) * n // groups]
        total += abs(p[idx].sum() - y[idx].sum())
    return total / n


job = json.load(sys.stdin)
df = pd.read_csv(job["csv"], dtype=str, keep_default_na=False)
y = (df[job["target"]].str.strip() == job["positive"]).astype(int).to_numpy()
df = df.drop(columns=[job["target"], *job.get("drop", [])])
parts = []
for col in df.columns:
    raw = df[col].str.strip()
    num = pd.to_numeric(raw.replace({"": np.nan, "NA": np.nan}), errors="coerce")
    if num.notna().sum() >= (raw != "").sum() * 0.5 and num.notna().any():
        parts.append(num.fillna(num.median()).rename(col).to_frame())
    elif raw.nunique() > 0.5 * len(raw) and raw.nunique() > 50:
        continue
    else:
        parts.append(pd.get_dummies(raw, prefix=col).astype(float))
X = pd.concat(parts, axis=1).to_numpy(dtype=float)
train, test = np.array(job["train"]), np.array(job["test"])
clf = RandomForestClassifier(n_estimators=job.get("trees", 100), n_jobs=1, random_state=job.get("seed", 0))
t0 = time.perf_counter()
clf.fit(X[train], y[train])
train_s = time.perf_counter() - t0
t0 = time.perf_counter()
p = clf.predict_proba(X[test])[:, 1]
predict_s = time.perf_counter() - t0
print(json.dumps({
    "features": X.shape[1],
    "auc": roc_auc_score(y[test], p),
    "brier": brier_score_loss(y[test], p),
    "ece": ece(y[test], p),
    "accuracy": accuracy_score(y[test], (p >= 0.5).astype(int)),
    "train_s": train_s,
    "predict_s": predict_s,
}))
