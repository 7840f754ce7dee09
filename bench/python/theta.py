"""statsmodels' ThetaModel (with its seasonality test and multiplicative deseasonalising) on M3 monthly.

stdin JSON: {"csv", "horizon", "season"}; prints {"smape", "coverage80", "series", "seconds"}.
"""
import json
import sys
import time
import warnings

import numpy as np
import pandas as pd
from statsmodels.tsa.forecasting.theta import ThetaModel

warnings.filterwarnings("ignore")
job = json.load(sys.stdin)
h, m = job["horizon"], job["season"]
df = pd.read_csv(job["csv"])
total, cov, pts, n = 0.0, 0, 0, 0
t0 = time.perf_counter()
for _, g in df.groupby("series", sort=False):
    y = g.sort_values("period")["value"].to_numpy(dtype=float)
    train, test = y[:-h], y[-h:]
    res = ThetaModel(train, period=m).fit()
    f = res.forecast(h).to_numpy()
    pi = res.prediction_intervals(h, alpha=0.2)
    lo, hi = pi.iloc[:, 0].to_numpy(), pi.iloc[:, 1].to_numpy()
    total += np.mean(200 * np.abs(test - f) / (np.abs(test) + np.abs(f)))
    cov += int(np.sum((test >= lo) & (test <= hi)))
    pts += h
    n += 1
print(json.dumps({"smape": total / n, "coverage80": cov / pts, "series": n, "seconds": time.perf_counter() - t0}))
