@echo off
rem The labstack provider plugin as the Pulumi engine starts it on Windows.
cd /d "%~dp0\..\.." && node --import tsx components\provider\main.ts %*
