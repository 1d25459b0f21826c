import { render } from 'preact';
import 'uplot/dist/uPlot.min.css';
import './style.css';
import { App } from './components/App.jsx';

render(<App />, document.getElementById('app'));
