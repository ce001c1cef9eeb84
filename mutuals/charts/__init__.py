"""Chart builders: pure functions from a DataFrame to an ``alt.Chart``."""
