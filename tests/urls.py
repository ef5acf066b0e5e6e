from django.urls import include, path

urlpatterns = [path("velt/", include("velt_django.urls"))]
