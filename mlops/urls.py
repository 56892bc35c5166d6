from django.urls import URLPattern, URLResolver, path

from mlops import views

app_name = "mlops"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.index, name="index"),
    path("benchmarks/<int:pk>/", views.benchmark_detail, name="benchmark"),
    path("benchmarks/<int:pk>.json", views.benchmark_json, name="benchmark_json"),
    path(
        "benchmarks/<int:pk>/<int:index>/<slug:dataset>/<slug:kind>.svg",
        views.benchmark_svg,
        name="benchmark_svg",
    ),
    path("models/<int:pk>/promote/", views.model_promote, name="model_promote"),
    path("runs/<slug:kind>/<int:pk>/", views.run_detail, name="run"),
    path("runs/<slug:kind>/<int:pk>/status.json", views.run_status, name="run_status"),
]
