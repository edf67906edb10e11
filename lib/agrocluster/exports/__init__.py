"""Export links of a cluster: market shares, comparative advantage, complexity, gravity, firm exports."""
