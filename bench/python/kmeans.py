"""scikit-learn's KMeans on the same standardised table as crm-agent's k-means.

stdin JSON: {"csv", "k", "n_init", "seed"}; the CSV holds only the standardised number columns.
Prints {"inertia", "seconds"}. Single thread (OMP_NUM_THREADS=1 is set by the caller).
"""
import json
import sys
import time

import numpy as np
from sklearn.cluster import KMeans

job = json.load(sys.stdin)
X = np.loadtxt(job["csv"], delimiter=",", skiprows=1)
t0 = time.perf_counter()
km = KMeans(n_clusters=job["k"], n_init=job["n_init"], random_state=job["seed"]).fit(X)
print(json.dumps({"inertia": float(km.inertia_), "seconds": time.perf_counter() - t0}))
