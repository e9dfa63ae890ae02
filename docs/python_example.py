# dcsim from Python, notebook style: each "# %%" cell runs on its own in Jupyter or VS Code,
# or run the whole file: python3 docs/python_example.py (from the source folder, with the
# module on PYTHONPATH: build/release/python). docs/python.md documents the module.

# %% One scenario, one question: how fast is GPT-3 175B on 1,024 H100?
import os
import dcsim

out = os.environ.get("DCSIM_EXAMPLE_OUT", "out/python_example")
r = dcsim.run("scenarios/train_gpt.yaml", set={"workload.train_tokens": 0})
print(f"iteration {r.number('training.iteration_time_s'):.3f} s, MFU {100 * r.number('training.mfu'):.1f} %")
print("where time goes:", {k: round(v["fraction"], 3) for k, v in r["training"]["breakdown"].items() if v["fraction"] > 0.01})

# %% What if: full recomputation, and the fat-tree instead of the rail-optimized fabric.
for settings in ({"workload.recompute": "full"}, {"network.scale_out.topology": "fat_tree"}):
    alt = dcsim.run("scenarios/train_gpt.yaml", set={"workload.train_tokens": 0, **settings})
    print(settings, f"{alt.number('training.iteration_time_s'):.3f} s")

# %% A study: the scaling sweep on every core, into SQLite.
summary = dcsim.sweep("sweeps/train_gpt_scaling.yaml", out=out + "/scaling")
print(summary)
rows = dcsim.sweep_table(summary["database"])

# %% Read it as a table: pandas if it is installed, else plain rows.
try:
    import pandas as pd
    import sqlite3
    df = pd.read_sql("SELECT * FROM points", sqlite3.connect(summary["database"]))
    print(df[["set.cluster.servers", "set.network.scale_out.topology", "training.iteration_time_s", "training.mfu"]])
except ImportError:
    for row in rows:
        print(int(row["set.cluster.servers"]), row["set.network.scale_out.topology"],
              f"{row['training.iteration_time_s']:.3f} s", f"MFU {100 * row['training.mfu']:.1f} %")

# %% The fat-tree's cost as the cluster grows: iteration time against the rail-optimized fabric.
by = {(int(r["set.cluster.servers"]), r["set.network.scale_out.topology"]): r["training.iteration_time_s"] for r in rows}
for servers in sorted({s for s, _ in by}):
    print(f"{servers * 8:5d} GPUs: fat-tree {100 * (by[servers, 'fat_tree'] / by[servers, 'rail_optimized'] - 1):+.1f} %")
