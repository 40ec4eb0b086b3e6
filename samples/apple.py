"""Buying 2 apples at 100 each with a consumption tax of 10%: the Python twin of apple.yaml."""

import graphviz_bp as bp

with bp.Network("apple", description="Buying 2 apples at 100 each with a consumption tax of 10%.") as net:
    apple = net.input("apple", 100)
    apple_num = net.input("apple_num", 2)
    tax = net.input("tax", 1.1)
    apple_price = net.node("apple_price", apple * apple_num)
    price = net.node("price", apple_price * tax)
    net.output(price)
