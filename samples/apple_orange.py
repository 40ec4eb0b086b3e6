"""Apples, oranges and a consumption tax: the Python twin of apple_orange.yaml."""

import graphviz_bp as bp

with bp.Network(
    "apple-orange",
    description="Buying 2 apples at 100 and 3 oranges at 150 with a consumption tax of 10%.",
) as net:
    apple = net.input("apple", 100)
    apple_num = net.input("apple_num", 2)
    orange = net.input("orange", 150)
    orange_num = net.input("orange_num", 3)
    tax = net.input("tax", 1.1)
    apple_price = net.node("apple_price", apple * apple_num)
    orange_price = net.node("orange_price", orange * orange_num)
    all_price = net.node("all_price", apple_price + orange_price)
    price = net.node("price", all_price * tax)
    net.output(price)
