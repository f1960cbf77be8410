"""Reports of a drill, all made from its journal: report.json, report.html, junit.xml and Allure results."""
