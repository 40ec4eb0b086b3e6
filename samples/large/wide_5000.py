"""A large graph: 1,000 branches sigmoid(tanh(x·w)) summed by a tree of additions.

It has 5,999 values, so `graphviz-bp render` draws it in the compact layout, with each
value and gradient inside its node. Run with --layout full for the textbook layout, which
takes several times longer.
"""

import graphviz_bp as bp

BRANCHES = 1000

with bp.Network("wide-5000") as net:
    tips = []
    for i in range(BRANCHES):
        # Deterministic values in [−0.9, 0.9], so the figure is the same on every run.
        x = net.input(f"x{i}", ((i * 37) % 19 - 9) / 10)
        w = net.input(f"w{i}", ((i * 53) % 17 - 8) / 10)
        tips.append(net.node(f"s{i}", bp.sigmoid(bp.tanh(x * w))))
    level = 0
    while len(tips) > 1:
        pairs = [net.node(f"p{level}_{j}", a + b) for j, (a, b) in enumerate(zip(tips[0::2], tips[1::2], strict=False))]
        tips = pairs + ([tips[-1]] if len(tips) % 2 else [])
        level += 1
    net.output(tips[0])
