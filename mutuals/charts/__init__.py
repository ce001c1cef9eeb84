"""Chart builders: pure functions from a DataFrame to an ``alt.Chart``.

Importing the package registers the product's Altair theme and lifts Altair's
5,000-row guard: the callers cap what they plot (the largest is one point per
mutual), and specs are built once per filter set and cached.
"""

import altair as alt

from mutuals.charts import theme  # noqa: F401  (registers and enables the theme)

alt.data_transformers.disable_max_rows()
