// LambdaRuntime: runs the service as an AWS Lambda custom runtime (the Runtime API loop).
