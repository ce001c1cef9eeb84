-- Key/value facts about the loaded data set (synthetic flag, generator seed…).
SELECT key, value FROM dataset_info ORDER BY key
