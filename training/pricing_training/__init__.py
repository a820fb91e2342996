"""Training pipeline of the price-recommendation service: Online Retail transactions -> leak-free
features -> a PyTorch network and LightGBM/SVR/ElasticNet backups -> a versioned artifact set that the
Swift service loads without Python. See models/README.md for the artifact contract."""
